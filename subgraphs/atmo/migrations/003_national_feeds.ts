import type { Knex } from 'knex';
import { runStatements } from '../../../lib/migrate.ts';

export const name = '003_national_feeds';

/*
 * What the national feeds publish and 001 could not hold:
 * - indice ATMO classes 0 (Absent, indice non disponible) and 7 (Événement: incident or industrial accident)
 *   are days like any other: their sub-indices may be absent (0 here, the class "Absent" of the same scale),
 *   and only classes 1–6 are the maximum of their sub-indices;
 * - a forecast and the day's own index are two publications (date_dif before the day, or on/after it): both
 *   are kept, keyed by `kind`; rows without a date of diffusion (the seed, older files) are `undated`;
 * - an E2 hourly value keeps its `code qualité` as published and whether it is a validated or a raw hourly
 *   mean (`verified`): a validated mean is never replaced by a raw one;
 * - a station of the LCSQA list keeps its activity dates and Eionet area classification.
 */
export async function up(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    alter table atmo.daily_index drop constraint daily_index_code_qual_is_max;
    alter table atmo.daily_index drop constraint daily_index_code_qual_check;
    alter table atmo.daily_index drop constraint daily_index_code_no2_check;
    alter table atmo.daily_index drop constraint daily_index_code_so2_check;
    alter table atmo.daily_index drop constraint daily_index_code_o3_check;
    alter table atmo.daily_index drop constraint daily_index_code_pm10_check;
    alter table atmo.daily_index drop constraint daily_index_code_pm25_check;

    alter table atmo.daily_index
      add constraint daily_index_code_qual_range check (code_qual between 0 and 7),
      add constraint daily_index_sub_indices_range check (
        code_no2 between 0 and 6 and code_so2 between 0 and 6 and code_o3 between 0 and 6 and code_pm10 between 0 and 6 and code_pm25 between 0 and 6),
      add constraint daily_index_code_qual_is_max check (code_qual in (0, 7) or code_qual = greatest(code_no2, code_so2, code_o3, code_pm10, code_pm25)),
      add column kind text not null default 'undated' check (kind in ('forecast', 'observation', 'undated')),
      add column date_dif date,
      add column date_maj timestamptz,
      add constraint daily_index_kind_from_date_dif check (
        case kind when 'undated' then date_dif is null when 'forecast' then date_dif < date_ech else date_dif >= date_ech end);

    alter table atmo.daily_index drop constraint daily_index_pkey;

    alter table atmo.daily_index add primary key (code_zone, date_ech, kind);

    alter table atmo.measurement
      add column quality_code text,
      add column verified boolean;

    alter table atmo.station
      add column activity_begin date,
      add column activity_end date,
      add column area_classification text;
  `,
  );
}

export async function down(knex: Knex): Promise<void> {
  await runStatements(
    knex,
    `
    alter table atmo.station drop column activity_begin, drop column activity_end, drop column area_classification;
    alter table atmo.measurement drop column quality_code, drop column verified;
    delete from atmo.daily_index where kind = 'forecast' and exists (
      select 1 from atmo.daily_index o where o.code_zone = daily_index.code_zone and o.date_ech = daily_index.date_ech and o.kind <> 'forecast');
    delete from atmo.daily_index where kind = 'undated' and exists (
      select 1 from atmo.daily_index o where o.code_zone = daily_index.code_zone and o.date_ech = daily_index.date_ech and o.kind = 'observation');
    delete from atmo.daily_index where code_qual in (0, 7) or least(code_no2, code_so2, code_o3, code_pm10, code_pm25) = 0;
    alter table atmo.daily_index drop constraint daily_index_pkey;
    alter table atmo.daily_index add primary key (code_zone, date_ech);
    alter table atmo.daily_index drop constraint daily_index_kind_from_date_dif, drop column kind, drop column date_dif, drop column date_maj;
    alter table atmo.daily_index drop constraint daily_index_code_qual_is_max, drop constraint daily_index_sub_indices_range, drop constraint daily_index_code_qual_range;
    alter table atmo.daily_index
      add constraint daily_index_code_qual_check check (code_qual between 1 and 6),
      add constraint daily_index_code_no2_check check (code_no2 between 1 and 6),
      add constraint daily_index_code_so2_check check (code_so2 between 1 and 6),
      add constraint daily_index_code_o3_check check (code_o3 between 1 and 6),
      add constraint daily_index_code_pm10_check check (code_pm10 between 1 and 6),
      add constraint daily_index_code_pm25_check check (code_pm25 between 1 and 6),
      add constraint daily_index_code_qual_is_max check (code_qual = greatest(code_no2, code_so2, code_o3, code_pm10, code_pm25));
  `,
  );
}
