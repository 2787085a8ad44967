// One apiserver stand-in in a process of its own, so the bench can read the CPU it spends:
// `tsx bench/standin-main.ts NAME ADDRESS PORT` prints "ready" once it listens.
import { ApiserverStandin } from "../scripts/apiserver-standin.ts";

const [name = "m1", address = "127.0.0.1", port = "0"] = process.argv.slice(2);
await new ApiserverStandin(name, address, Number(port)).start();
console.log("ready");
