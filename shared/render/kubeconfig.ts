/**
 * The one line of a kubeconfig halo owns: each cluster's `server:`. Everything else (users,
 * certificates, contexts, comments, key order) is kept byte for byte.
 */
const SERVER = /^(\s+server:[ \t]*)(["']?)([^\s"'#]+)\2([ \t]*(?:#.*)?)$/;

/** What the `kubeconfig` kind renders: the server line it sets, hashed like any artifact. */
export function renderKubeconfigServer(server: string): string {
  return `server: ${server}\n`;
}

/** Sets every cluster's `server:` in a kubeconfig's text to `server`, changing nothing else. */
export function setKubeconfigServer(current: string, rendered: string): string {
  const server = rendered.replace(/^server: /, "").trim();
  return current
    .split("\n")
    .map((line) => {
      const m = SERVER.exec(line);
      return m ? `${m[1]}${m[2]}${server}${m[2]}${m[4]}` : line;
    })
    .join("\n");
}
