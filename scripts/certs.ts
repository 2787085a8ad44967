// Certificates for the TLS stand-ins of the demo and the tests: a CA, and serving
// certificates it signs with the names and addresses asked for, made with openssl.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pem {
  key: string;
  cert: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Runs openssl steps in a scratch directory; the key and certificate they leave as k and c. */
function made(steps: (dir: string) => void): Pem {
  const dir = mkdtempSync(join(tmpdir(), "halo-cert-"));
  try {
    steps(dir);
    return {
      key: readFileSync(join(dir, "k"), "utf8"),
      cert: readFileSync(join(dir, "c"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed CA named `name`. */
export function makeCA(name: string, days = 365): Pem {
  return made((dir) =>
    openssl(
      ["req", "-x509", ...EC, "-subj", `/CN=${name}`, "-days", String(days)]
        .concat(["-keyout", "k", "-out", "c"])
        .concat(["-addext", "basicConstraints=critical,CA:TRUE"])
        .concat(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
      dir,
    ),
  );
}

/** A serving certificate signed by `ca`, valid for `names` (DNS names and IP addresses) for `days`. */
export function issue(ca: Pem, names: string[], days = 90): Pem {
  return made((dir) => {
    writeFileSync(join(dir, "ca.key"), ca.key);
    writeFileSync(join(dir, "ca.crt"), ca.cert);
    const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    writeFileSync(join(dir, "ext"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    openssl(["req", ...EC, "-subj", "/CN=kube-apiserver", "-keyout", "k", "-out", "csr"], dir);
    openssl(
      ["x509", "-req", "-in", "csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"].concat(
        ["-out", "c", "-days", String(days), "-extfile", "ext"],
      ),
      dir,
    );
  });
}
