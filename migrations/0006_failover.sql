CREATE TABLE `drains` (
	`cluster` text NOT NULL,
	`host` text NOT NULL,
	`since` integer NOT NULL,
	`grace_seconds` integer NOT NULL,
	`actor` text NOT NULL,
	PRIMARY KEY(`cluster`, `host`)
);
--> statement-breakpoint
ALTER TABLE `nodes` ADD `ejected` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `nodes` ADD `lb` text;