/** command -> Debian package (bookworm). */
export const SYSTEM_COMMANDS: Readonly<Record<string, string>>;
/** file -> Debian package, for files a command needs beside itself. */
export const SYSTEM_FILES: Readonly<Record<string, string>>;
/** Services Debian starts on install. */
export const PACKAGED_SERVICES: readonly string[];
