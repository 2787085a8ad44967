CREATE TABLE `audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`cluster` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`detail` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_cluster` ON `audit` (`cluster`,`id`);--> statement-breakpoint
CREATE TABLE `clusters` (
	`name` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `join_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`cluster` text NOT NULL,
	`token_hash` text NOT NULL,
	`groups` text NOT NULL,
	`expires_at` integer,
	`max_uses` integer,
	`uses` integer DEFAULT 0 NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "join_tokens_uses" CHECK("join_tokens"."max_uses" IS NULL OR "join_tokens"."uses" <= "join_tokens"."max_uses")
);
--> statement-breakpoint
CREATE TABLE `nodes` (
	`cluster` text NOT NULL,
	`host` text NOT NULL,
	`token_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`registered_ip` text,
	`facts` text DEFAULT '{}' NOT NULL,
	`applied_version` integer,
	`applied_hash` text,
	`status` text DEFAULT 'registered' NOT NULL,
	`last_error` text,
	`connected` integer DEFAULT false NOT NULL,
	`last_seen` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`cluster`, `host`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `nodes_token_id_unique` ON `nodes` (`token_id`);--> statement-breakpoint
CREATE TABLE `topology_versions` (
	`cluster` text NOT NULL,
	`version` integer NOT NULL,
	`topology` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	`changed` text NOT NULL,
	PRIMARY KEY(`cluster`, `version`)
);
