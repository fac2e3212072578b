// How many service tickets are in each status, kept by the database, so that a list filtered by
// status reads its `total` off a few rows instead of counting every matching ticket. Statement-level
// triggers with transition tables add each statement's net change per status in one update, whatever
// wrote it (the API, a migration's bulk UPDATE, a cascade). Frozen history: Kysely<any>, nothing from src/.
import { sql, type Kysely } from 'kysely'

const STATUSES = ['estimate', 'approved', 'in_progress', 'completed', 'invoiced', 'paid', 'cancelled']

const OPERATIONS = [
  { event: 'insert', referencing: sql`new table as new_rows` },
  { event: 'delete', referencing: sql`old table as old_rows` },
  { event: 'update', referencing: sql`old table as old_rows new table as new_rows` },
] as const

export async function up (db: Kysely<any>): Promise<void> {
  // Writers wait until this migration commits (reads go on): the counts filled in below are then
  // exact, with no write between the count and the triggers that keep it.
  await sql`lock table service_tickets in share row exclusive mode`.execute(db)

  // One row per status of service_tickets_status_check, so a trigger only ever updates rows.
  await db.schema
    .createTable('ticket_status_counts')
    .addColumn('status', 'text', (col) => col.primaryKey())
    .addColumn('n', 'bigint', (col) => col.notNull().check(sql`n >= 0`))
    .execute()

  // A status change moves a ticket between two counters. Two statements moving tickets in opposite
  // directions (approved → in_progress and in_progress → approved) would each hold the row it
  // updated first and wait for the other's: so the rows are locked in status order first, and the
  // second statement waits for the first to commit instead of deadlocking with it. The statement's
  // changes are summed per status beforehand, so an update that leaves every status as it was
  // (most ticket writes) touches no counter at all.
  await sql`
    create function ticket_status_counts_maintain() returns trigger
    language plpgsql as $$
    declare
      statuses text[];
      deltas bigint[];
    begin
      if tg_op = 'INSERT' then
        select array_agg(status order by status), array_agg(n order by status) into statuses, deltas
        from (select status, count(*) as n from new_rows group by status) as d;
      elsif tg_op = 'DELETE' then
        select array_agg(status order by status), array_agg(n order by status) into statuses, deltas
        from (select status, -count(*) as n from old_rows group by status) as d;
      else
        select array_agg(status order by status), array_agg(n order by status) into statuses, deltas
        from (
          select status, sum(change)::bigint as n
          from (select status, 1 as change from new_rows union all select status, -1 from old_rows) as c
          group by status
          having sum(change) <> 0
        ) as d;
      end if;
      if statuses is null then
        return null;
      end if;
      perform 1 from ticket_status_counts where status = any(statuses) order by status for update;
      update ticket_status_counts c set n = c.n + d.n
      from unnest(statuses, deltas) as d(status, n)
      where c.status = d.status;
      return null;
    end
    $$`.execute(db)

  for (const { event, referencing } of OPERATIONS) {
    await sql`
      create trigger ${sql.id(`service_tickets_status_count_${event}`)} after ${sql.raw(event)} on service_tickets
      referencing ${referencing} for each statement execute function ticket_status_counts_maintain()`.execute(db)
  }

  await sql`
    insert into ticket_status_counts (status, n)
    select s.status, count(st.id)
    from unnest(array[${sql.join(STATUSES.map((s) => sql.lit(s)))}]) as s(status)
    left join service_tickets st on st.status = s.status
    group by s.status`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const { event } of [...OPERATIONS].reverse()) {
    await sql`drop trigger ${sql.id(`service_tickets_status_count_${event}`)} on service_tickets`.execute(db)
  }
  await sql`drop function ticket_status_counts_maintain()`.execute(db)
  await db.schema.dropTable('ticket_status_counts').execute()
}
