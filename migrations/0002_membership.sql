ALTER TABLE `join_tokens` ADD `hosts` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `topology_versions` ADD `registered` text DEFAULT '[]' NOT NULL;