import { AGENT_VERSION } from "./version.ts";

/** What a log line may carry beside its words: what journald and log shippers can index. */
export interface LogFields {
  event?: string;
  version?: number;
  kinds?: string[];
  stage?: string;
  error?: string;
}

export type Log = (msg: string, fields?: LogFields) => void;

/**
 * The agent's log on stderr: `<time> halo-agent: <message>` (the form journald shows), or with
 * `--log-format json` one JSON object per line: time, level, event, version, message and the
 * fields the line carries (kinds, stage, error). A line with an error is level "error".
 */
export function makeLog(format: "text" | "json", write = (s: string) => console.error(s)): Log {
  if (format === "text") return (msg) => write(`${new Date().toISOString()} halo-agent: ${msg}`);
  return (msg, fields = {}) =>
    write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: fields.error !== undefined ? "error" : "info",
        event: fields.event ?? "message",
        agent: AGENT_VERSION,
        message: msg,
        ...fields,
      }),
    );
}
