/**
 * The one-line preview of a message-log row's data: made by the worker when the frame is parsed
 * (only the preview crosses to the page), and by the page for rows that came without one.
 */

/** Longest data preview shown in a row; the full payload is in the row's title. */
export const PREVIEW_MAX_CHARS = 200;

/** One-line JSON of a row's data, truncated. */
export function previewText(type: string, data: unknown): string {
  return truncate(stringify(type, data), PREVIEW_MAX_CHARS);
}

function stringify(type: string, data: unknown): string {
  // Gap entries carry a human sentence, not a payload.
  if (type === 'gap' && typeof data === 'string') return data;
  try {
    return JSON.stringify(data) ?? String(data);
  } catch {
    return String(data);
  }
}

function truncate(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}
