import * as z from "zod/mini";
import { isGroupName, isHostName } from "./net.ts";

/**
 * Name schemas in `zod/mini`: the agent loads these (the classic API would cost it about 16 MB
 * of memory); the control plane's topology schema uses the same checks and messages.
 */
export const HOST_NAME_MESSAGE = "must be an RFC 1123 host name (letters, digits, inner '-', dots)";
export const GROUP_NAME_MESSAGE = "must be a group name (letters, digits, '_' and '-')";

/** A network interface name as the kernel allows it (IFNAMSIZ): never free text in a config. */
export const INTERFACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
export const INTERFACE_NAME_MESSAGE =
  "must be an interface name: up to 15 letters, digits, '_', '.' or '-'";

export const HostName = z.string().check(z.refine(isHostName, HOST_NAME_MESSAGE));
export const GroupName = z.string().check(z.refine(isGroupName, GROUP_NAME_MESSAGE));
