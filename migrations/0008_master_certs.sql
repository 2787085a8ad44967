CREATE TABLE `master_certs` (
	`cluster` text NOT NULL,
	`master` text NOT NULL,
	`fingerprint` text NOT NULL,
	`cert` text NOT NULL,
	`observer` text NOT NULL,
	`observed_at` integer NOT NULL,
	PRIMARY KEY(`cluster`, `master`)
);
