/**
 * A config that answers its own health URL can prove which version of it is running: the file
 * declares a mark (`# halo-health: <id>`) and its /healthz answers with it. After a reload the
 * agent waits for the mark, so a reload that did not take effect (nginx keeps its old config
 * when the new one cannot bind, and `nginx -s reload` still exits 0) fails the apply instead of
 * passing on the old config's answer.
 */
const MARK = /^# halo-health: ([0-9a-f]{16})$/m;

export const healthMarkLine = (id: string) => `# halo-health: ${id}`;

/** The mark a file declares, or null. */
export function healthMark(content: string | null): string | null {
  return content === null ? null : (MARK.exec(content)?.[1] ?? null);
}
