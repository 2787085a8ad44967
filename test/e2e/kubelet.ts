/**
 * kubelet's kubeconfig as kubeadm writes it, pointing at `server`: trusting the cluster CA
 * given (inline, as `certificate-authority-data`), or skipping verification without one.
 */
export function kubeletConfig(server: string, caPem: string | null): string {
  const trust = caPem
    ? `certificate-authority-data: ${Buffer.from(caPem).toString("base64")}`
    : "insecure-skip-tls-verify: true";
  return `apiVersion: v1
clusters:
- cluster:
    ${trust}
    server: ${server}
  name: default-cluster
contexts:
- context: {cluster: default-cluster, user: kubelet}
  name: default
current-context: default
kind: Config
users:
- name: kubelet
  user: {token: abc}
`;
}
