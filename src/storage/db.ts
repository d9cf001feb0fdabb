/**
 * storage/db: the one database interface every capability writes its SQL against.
 * Two drivers implement it (PGlite embedded, PostgreSQL via `pg`); both speak the PostgreSQL dialect, so the
 * same SQL and migrations run on each. Parameters are always bound ($1, $2 …), never interpolated.
 */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array | Date | string[] | number[];

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Keep this statement prepared under this name on each PostgreSQL connection, with one generic plan that every
   * execution reuses: no parse and no planning per call. Only for a hot statement whose good plan does not depend on
   * its parameters' values or sizes (PostgreSQL guesses 100 rows for an unnest of an array parameter). One name, one
   * SQL text. PGlite plans it each time, like any statement.
   */
  prepared?: string;
}

/** A handle that can run queries; inside `tx` it is bound to that transaction. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: SqlValue[], options?: QueryOptions): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly driver: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction and commits, or rolls back if it throws. `fn` may be retried on a
   * serialization failure, so it must not have effects outside the database: put those after commit.
   */
  tx<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
