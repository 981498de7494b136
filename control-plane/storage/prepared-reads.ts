import type { DataSource, EntityManager, EntitySchema, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata.js";

/**
 * A read on a hot path (every GET, every agent report), as fixed SQL with
 * bound parameters run through the same DataSource: typeorm's find options
 * build the same query anew on every call, which cost more than the read
 * itself. Rows are hydrated from the entity's metadata exactly as typeorm
 * hydrates them (JSON parsed, column transformers applied), so callers get
 * the same records as before. The SQL is built once per DataSource, with its
 * driver's quoting, by `build(q)` where `q(name)` quotes an identifier.
 */
export class PreparedRead<Row extends ObjectLiteral> {
  private readonly built = new WeakMap<DataSource, { sql: string; columns: ColumnMetadata[] }>();

  constructor(
    private readonly entity: EntitySchema<Row>,
    private readonly build: (q: (identifier: string) => string, columns: string) => string,
  ) {}

  /** The rows the SQL selects, hydrated. */
  async all(m: EntityManager, parameters: unknown[]): Promise<Row[]> {
    const { sql, columns } = this.statementFor(m.connection);
    const raw = (await m.query(sql, parameters)) as Record<string, unknown>[];
    return raw.map((row) => hydrate(m.connection, columns, row));
  }

  /** The first row the SQL selects, or null. */
  async one(m: EntityManager, parameters: unknown[]): Promise<Row | null> {
    return (await this.all(m, parameters))[0] ?? null;
  }

  private statementFor(dataSource: DataSource): { sql: string; columns: ColumnMetadata[] } {
    let statement = this.built.get(dataSource);
    if (!statement) {
      const q = (identifier: string) => dataSource.driver.escape(identifier);
      const columns = dataSource.getMetadata(this.entity).columns;
      statement = { sql: this.build(q, columns.map((c) => q(c.databaseName)).join(", ")), columns };
      this.built.set(dataSource, statement);
    }
    return statement;
  }
}

/** Fixed SQL whose answer is a few plain values (no entity), built once per DataSource. */
export class PreparedValues<Row extends Record<string, unknown>> {
  private readonly built = new WeakMap<DataSource, string>();

  constructor(private readonly build: (q: (identifier: string) => string) => string) {}

  async all(m: EntityManager, parameters: unknown[]): Promise<Row[]> {
    let sql = this.built.get(m.connection);
    if (sql === undefined) {
      sql = this.build((identifier) => m.connection.driver.escape(identifier));
      this.built.set(m.connection, sql);
    }
    return (await m.query(sql, parameters)) as Row[];
  }
}

function hydrate<Row extends ObjectLiteral>(dataSource: DataSource, columns: ColumnMetadata[], raw: Record<string, unknown>, prefix = ""): Row {
  const row: ObjectLiteral = {};
  for (const column of columns) {
    const value = raw[prefix + column.databaseName];
    if (value === undefined) continue;
    row[column.propertyName] = dataSource.driver.prepareHydratedValue(value, column);
  }
  return row as Row;
}

/**
 * Fixed SQL reading two entities' rows joined into one: the first's columns
 * selected from the table aliased `a`, the second's from `b` (a LEFT JOIN,
 * so the second is null when nothing joined). Each is hydrated as
 * PreparedRead hydrates its rows. `build(q, a, b)` gets the select lists.
 */
export class PreparedPair<A extends ObjectLiteral, B extends ObjectLiteral> {
  private readonly built = new WeakMap<DataSource, { sql: string; first: ColumnMetadata[]; second: ColumnMetadata[] }>();

  constructor(
    private readonly first: EntitySchema<A>,
    private readonly second: EntitySchema<B>,
    private readonly build: (q: (identifier: string) => string, a: string, b: string) => string,
  ) {}

  async one(m: EntityManager, parameters: unknown[]): Promise<{ first: A; second: B | null } | null> {
    const { sql, first, second } = this.statementFor(m.connection);
    const raw = ((await m.query(sql, parameters)) as Record<string, unknown>[])[0];
    if (!raw) return null;
    const joined = second.some((column) => column.isPrimary && raw[`b_${column.databaseName}`] !== null && raw[`b_${column.databaseName}`] !== undefined);
    return { first: hydrate<A>(m.connection, first, raw, "a_"), second: joined ? hydrate<B>(m.connection, second, raw, "b_") : null };
  }

  private statementFor(dataSource: DataSource) {
    let statement = this.built.get(dataSource);
    if (!statement) {
      const q = (identifier: string) => dataSource.driver.escape(identifier);
      const first = dataSource.getMetadata(this.first).columns;
      const second = dataSource.getMetadata(this.second).columns;
      const list = (alias: string, columns: ColumnMetadata[]) => columns.map((c) => `${alias}.${q(c.databaseName)} AS ${q(`${alias}_${c.databaseName}`)}`).join(", ");
      statement = { sql: this.build(q, list("a", first), list("b", second)), first, second };
      this.built.set(dataSource, statement);
    }
    return statement;
  }
}
