/** C0 and C1 control characters (ESC, CR, LF, ...): what forges rows and terminal escapes. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text from a node made safe to store and print: every control character becomes a space. */
export function printable(text: string): string {
  return text.replace(CONTROL, " ");
}
