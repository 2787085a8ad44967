#!/usr/bin/env node
// `halo` from a checkout (`npx halo ...`): the operator CLI's TypeScript, run through tsx.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
