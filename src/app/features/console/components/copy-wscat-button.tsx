/** "Copy as wscat command": the current publish as a terminal one-liner, with a placeholder token. */
import { webSocketUrl } from '../../../lib/auth';
import { useCopyToClipboard } from '../hooks/use-copy-to-clipboard';
import type { ParsedPayload } from '../utils/payload';
import { wscatCommand } from '../utils/wscat';

export function CopyWscatButton({
  channel,
  parsed,
  disabled,
}: {
  channel: string;
  parsed: ParsedPayload;
  disabled: boolean;
}) {
  const { state, copy } = useCopyToClipboard();
  const onClick = () => {
    if (parsed.ok) copy(wscatCommand(webSocketUrl(), channel, parsed.value));
  };
  return (
    <>
      <button type="button" className="btn" disabled={disabled} onClick={onClick}>
        Copy as wscat command
      </button>
      <span aria-live="polite" className="muted">
        {state.kind === 'copied' ? 'copied' : ''}
      </span>
      {state.kind === 'failed' && (
        // Without clipboard access (insecure context, permission refused) the text is shown to copy by hand.
        <input
          className="mono console-copy-fallback"
          readOnly
          value={state.text}
          aria-label="wscat command"
          onFocus={(e) => e.target.select()}
        />
      )}
    </>
  );
}
