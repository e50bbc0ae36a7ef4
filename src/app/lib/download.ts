/** Saves a blob as a file the browser downloads (a hidden link clicked once). */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has read the blob by the next turn; keep it a moment longer for slow engines.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
