-- The foreign key files.owner_id → users.id (files_owner_id_users_id_fk, from 0002) stays in the database.
-- The schema in TypeScript no longer declares it, to keep files.tables.ts from importing users.tables.ts;
-- this migration only records that in the snapshot and changes nothing.
select 1;
