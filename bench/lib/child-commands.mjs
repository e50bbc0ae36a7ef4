// The load and abuse clients run as child processes driven over IPC: each message names a command
// and its arguments, and the answer carries the result or the error's stack.

/** Answers the parent's `{id, cmd, args}` messages with `commands[cmd](args)`; exits with the parent. */
export function serveCommands(commands) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      if (!commands[cmd]) throw new Error(`unknown command ${cmd}`);
      const result = await commands[cmd](args ?? {});
      process.send({ id, ok: true, result });
    } catch (error) {
      process.send({ id, ok: false, error: error?.stack ?? String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}
