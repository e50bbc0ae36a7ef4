/** Copies text and says so for a moment; when the Clipboard API is refused, keeps the text to show. */
import { useCallback, useEffect, useRef, useState } from 'react';

/** How long "copied" stays visible. */
const CONFIRMATION_MS = 2000;

export type CopyState =
  { readonly kind: 'idle' } | { readonly kind: 'copied' } | { readonly kind: 'failed'; readonly text: string };

export function useCopyToClipboard(): { state: CopyState; copy(text: string): void } {
  const [state, setState] = useState<CopyState>({ kind: 'idle' });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const copy = useCallback((text: string) => {
    clearTimeout(timer.current);
    // navigator.clipboard is missing outside secure contexts (plain http on a LAN address).
    const write = navigator.clipboard?.writeText(text) ?? Promise.reject(new Error('no clipboard'));
    write.then(
      () => {
        setState({ kind: 'copied' });
        timer.current = setTimeout(() => setState({ kind: 'idle' }), CONFIRMATION_MS);
      },
      () => setState({ kind: 'failed', text }),
    );
  }, []);

  return { state, copy };
}
