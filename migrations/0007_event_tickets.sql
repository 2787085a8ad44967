CREATE TABLE `event_tickets` (
	`hash` text PRIMARY KEY NOT NULL,
	`cluster` text NOT NULL,
	`expires_at` integer NOT NULL
);
