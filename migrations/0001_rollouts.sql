CREATE TABLE `node_targets` (
	`cluster` text NOT NULL,
	`host` text NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`cluster`, `host`)
);
--> statement-breakpoint
CREATE TABLE `rollouts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`cluster` text NOT NULL,
	`from_version` integer NOT NULL,
	`to_version` integer NOT NULL,
	`state` text NOT NULL,
	`wave` integer DEFAULT 0 NOT NULL,
	`waves` text NOT NULL,
	`policy` text NOT NULL,
	`reason` text,
	`actor` text NOT NULL,
	`wave_started_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rollouts_cluster` ON `rollouts` (`cluster`,`id`);--> statement-breakpoint
ALTER TABLE `clusters` ADD `stable_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `clusters` ADD `rollout_policy` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `nodes` ADD `applied_at` integer;--> statement-breakpoint
ALTER TABLE `nodes` ADD `failed_hash` text;