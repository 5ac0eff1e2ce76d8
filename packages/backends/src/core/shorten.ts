/** Text from a request, cut so that a message quoting it stays one readable line. */
export function shorten(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
