import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '001_init';

/*
 * APRONA's groundwater observatory, in the shape of the national groundwater-quality data (ADES, served by
 * Hub'Eau "qualité des nappes"): monitoring points keyed by their BSS id, analyses keyed by point,
 * SANDRE parameter and sampling instant. `parameter` holds the regulated parameters with their
 * drinking-water limits (arrêté du 11 janvier 2007, annexe I; directive (UE) 2020/2184): reference data,
 * like ATMO's index classes, so it is written here.
 * An analysis keeps the SANDRE codes as published: remark (155: 1 quantified, 10 below the
 * quantification limit, 2 below the detection limit, 7 traces, 3 above saturation…), qualification
 * (414: 1 correct) and status (416: 1 raw, 2–4 checked). Only correct, checked analyses are open.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    create table aprona.parameter (
      code text primary key check (code ~ '^[0-9]+$'),
      name text not null,
      kind text not null check (kind in ('NITRATE', 'PESTICIDE', 'PESTICIDE_TOTAL', 'OTHER')),
      unit text not null,
      drinking_water_limit double precision check (drinking_water_limit > 0),
      limit_basis text
    );
    insert into aprona.parameter (code, name, kind, unit, drinking_water_limit, limit_basis) values
      ('1340', 'Nitrates', 'NITRATE', 'mg(NO3)/L', 50, 'arrêté du 11 janvier 2007, annexe I (limite de qualité des eaux destinées à la consommation humaine)'),
      ('1107', 'Atrazine', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par pesticide'),
      ('1108', 'Atrazine déséthyl', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par pesticide ou métabolite pertinent'),
      ('1263', 'Simazine', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par pesticide'),
      ('1506', 'Glyphosate', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par pesticide'),
      ('1907', 'AMPA', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par pesticide ou métabolite'),
      ('1221', 'Métolachlore total', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par pesticide'),
      ('2974', 'S-Métolachlore', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par pesticide'),
      ('6854', 'ESA-métolachlore', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par métabolite'),
      ('6853', 'OXA-métolachlore', 'PESTICIDE', 'µg/L', 0.1, 'arrêté du 11 janvier 2007, annexe I: 0,10 µg/L par métabolite'),
      ('1103', 'Aldrine', 'PESTICIDE', 'µg/L', 0.03, 'arrêté du 11 janvier 2007, annexe I: 0,030 µg/L pour l''aldrine'),
      ('1173', 'Dieldrine', 'PESTICIDE', 'µg/L', 0.03, 'arrêté du 11 janvier 2007, annexe I: 0,030 µg/L pour la dieldrine'),
      ('1197', 'Heptachlore', 'PESTICIDE', 'µg/L', 0.03, 'arrêté du 11 janvier 2007, annexe I: 0,030 µg/L pour l''heptachlore'),
      ('1748', 'Heptachlore époxyde exo cis', 'PESTICIDE', 'µg/L', 0.03, 'arrêté du 11 janvier 2007, annexe I: 0,030 µg/L pour l''heptachlorépoxyde'),
      ('1749', 'Heptachlore époxyde endo trans', 'PESTICIDE', 'µg/L', 0.03, 'arrêté du 11 janvier 2007, annexe I: 0,030 µg/L pour l''heptachlorépoxyde'),
      ('6276', 'Somme des pesticides totaux', 'PESTICIDE_TOTAL', 'µg/L', 0.5, 'arrêté du 11 janvier 2007, annexe I: 0,50 µg/L pour le total des pesticides'),
      ('1337', 'Chlorures', 'OTHER', 'mg(Cl)/L', null, null);

    create table aprona.point (
      id text primary key check (id ~ '^BSS[0-9A-Z]{7}$'),
      bss_code text,
      name text,
      geom geometry(Point, 4326) not null,
      commune_code text check (commune_code ~ '^[0-9][0-9AB][0-9]{3}$'),
      aquifer_code text,
      aquifer_name text,
      coordinate_precision integer,
      source text not null,
      synthetic boolean not null
    );
    create index point_geom on aprona.point using gist (geom);
    create index point_geog on aprona.point using gist ((geom::geography));
    create index point_commune on aprona.point (commune_code);

    create table aprona.analysis (
      point_id text not null references aprona.point (id),
      parameter_code text not null check (parameter_code ~ '^[0-9]+$'),
      sampled_at timestamptz not null,
      result double precision,
      unit text not null,
      remark_code integer not null,
      quantification_limit double precision,
      detection_limit double precision,
      qualification_code text,
      status_code text,
      source text not null,
      synthetic boolean not null,
      primary key (point_id, parameter_code, sampled_at)
    );
    create index analysis_parameter on aprona.analysis (parameter_code, sampled_at);
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(knex, 'drop table aprona.analysis;\ndrop table aprona.point;\ndrop table aprona.parameter;');
}
