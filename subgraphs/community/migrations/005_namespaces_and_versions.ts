import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '005_namespaces_and_versions';

export async function up(knex: Knex): Promise<void> {
  await runStatements(knex, `
    -- Two id namespaces: "sc-<node>" is the Sensor.Community network's (written by producer:community only);
    -- a contributor's own sensor gets an opaque "cs-<12 base32>" the hub draws at random, derived from nothing.
    alter table community.sensor drop constraint sensor_id_check;
    alter table community.sensor add constraint sensor_id_namespace check (id ~ '^sc-[0-9]+$' or id ~ '^cs-[a-z2-7]{12}$');

    -- The number a contributor's files give their own sensor, scoped to that contributor (restricted, never
    -- served openly). Sensors contributors registered before this release were named by that number in the
    -- network's namespace: they keep their id, their owner's files keep reaching them, and a moderator can
    -- release the id to the network (releaseSensorId), which moves the sensor to a cs- id.
    alter table community.sensor add column local_id text;
    update community.sensor set local_id = substr(id, 4) where owner_subject is not null;
    alter table community.sensor add constraint sensor_local_id_with_owner check ((owner_subject is null) = (local_id is null));
    alter table community.sensor add constraint sensor_owner_local unique (owner_subject, local_id);

    -- The version of a contribution's content: every change of its metadata or features after submission
    -- bumps it, and a moderator decides on the version they reviewed.
    alter table community.contribution add column version integer not null default 1 check (version >= 1);
    -- The version a status change applied to; null for changes recorded before versions existed.
    alter table community.contribution_history add column version integer;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, `
    alter table community.contribution_history drop column version;
    alter table community.contribution drop column version;
    alter table community.sensor drop constraint sensor_owner_local;
    alter table community.sensor drop constraint sensor_local_id_with_owner;
    alter table community.sensor drop column local_id;
    alter table community.sensor drop constraint sensor_id_namespace;
    alter table community.sensor add constraint sensor_id_check check (id ~ '^sc-[0-9]+$');
  `);
}
