/** Fresh task ids for the commands the dashboard sends (the publish console and the Tasks board). */

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** 10 base-36 characters: about 50 bits, plenty for ids typed by hand in one fleet. */
const TASK_ID_LENGTH = 10;

/**
 * A fresh task id such as `task_k3v9x0q2mz`. getRandomValues rather than randomUUID: the latter
 * exists only in secure contexts, and the dashboard may be served over plain http on a LAN.
 */
export function freshTaskId(
  randomBytes: (count: number) => ArrayLike<number> = (count) => crypto.getRandomValues(new Uint8Array(count)),
): string {
  const bytes = Array.from(randomBytes(TASK_ID_LENGTH));
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return `task_${id}`;
}
