ALTER TABLE `clusters` ADD `live_policy` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `nodes` ADD `probes` text;--> statement-breakpoint
ALTER TABLE `nodes` ADD `probed_at` integer;--> statement-breakpoint
ALTER TABLE `nodes` ADD `apiserver_ok` integer;--> statement-breakpoint
ALTER TABLE `nodes` ADD `apiserver_ms` real;--> statement-breakpoint
ALTER TABLE `nodes` ADD `drift` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `nodes` ADD `last_drift` text;