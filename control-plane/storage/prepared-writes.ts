import type { DataSource, EntityManager, EntitySchema, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata.js";

/**
 * An INSERT on a hot path (every create, every status change), as fixed SQL
 * with bound parameters run through the same DataSource; typeorm's insert
 * builds the statement anew on every call, which cost more than running it.
 * Values are prepared from the entity's metadata as typeorm prepares them
 * (transformers applied, JSON serialised). Every column but a generated one
 * is written, so a row that leaves one undefined (to take the column's
 * default) goes through typeorm's insert instead.
 */
export class PreparedInsert<Row extends ObjectLiteral> {
  private readonly built = new WeakMap<DataSource, { columns: ColumnMetadata[]; head: string; tuple: string; sql: Map<number, string> }>();

  constructor(private readonly entity: EntitySchema<Row>) {}

  async insert(m: EntityManager, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const statement = this.statementFor(m.connection);
    const { columns } = statement;
    const parameters: unknown[] = [];
    for (const row of rows) {
      for (const column of columns) {
        const value = row[column.propertyName];
        if (value === undefined) return void (await m.insert(this.entity, rows as never));
        parameters.push(m.connection.driver.preparePersistentValue(value, column));
      }
    }
    let sql = statement.sql.get(rows.length);
    if (!sql) {
      sql = `${statement.head} ${Array.from({ length: rows.length }, () => statement.tuple).join(", ")}`;
      statement.sql.set(rows.length, sql);
    }
    await m.query(sql, parameters);
  }

  private statementFor(dataSource: DataSource) {
    let statement = this.built.get(dataSource);
    if (!statement) {
      const q = (identifier: string) => dataSource.driver.escape(identifier);
      const metadata = dataSource.getMetadata(this.entity);
      const columns = metadata.columns.filter((column) => !column.isGenerated);
      statement = {
        columns,
        head: `INSERT INTO ${q(metadata.tableName)} (${columns.map((c) => q(c.databaseName)).join(", ")}) VALUES`,
        tuple: `(${columns.map(() => "?").join(", ")})`,
        sql: new Map(),
      };
      this.built.set(dataSource, statement);
    }
    return statement;
  }
}

/**
 * An UPDATE of one row by its key, as fixed SQL per set of changed columns
 * (each built once per DataSource), values prepared as PreparedInsert
 * prepares them. Undefined changes are left out, as typeorm's update leaves
 * them out; a change to a property the entity does not map goes through
 * typeorm's update (which says what is wrong).
 */
export class PreparedUpdate<Row extends ObjectLiteral> {
  private readonly built = new WeakMap<DataSource, { byProperty: Map<string, ColumnMetadata>; sql: Map<string, string> }>();

  constructor(
    private readonly entity: EntitySchema<Row>,
    private readonly key: readonly (keyof Row & string)[],
  ) {}

  async update(m: EntityManager, key: Partial<Row>, changes: Partial<Row>): Promise<void> {
    const { byProperty, sql } = this.statementFor(m.connection);
    const changed = Object.keys(changes).filter((property) => changes[property] !== undefined);
    if (changed.length === 0) return;
    if (changed.some((property) => !byProperty.has(property))) return void (await m.update(this.entity, key as never, changes as never));
    const signature = changed.join(",");
    let text = sql.get(signature);
    if (!text) {
      const q = (identifier: string) => m.connection.driver.escape(identifier);
      const column = (property: string) => q(byProperty.get(property)!.databaseName);
      text =
        `UPDATE ${q(m.connection.getMetadata(this.entity).tableName)} SET ${changed.map((property) => `${column(property)} = ?`).join(", ")} ` +
        `WHERE ${this.key.map((property) => `${column(property)} = ?`).join(" AND ")}`;
      sql.set(signature, text);
    }
    const prepare = (property: string, value: unknown) => m.connection.driver.preparePersistentValue(value, byProperty.get(property)!);
    await m.query(text, [...changed.map((property) => prepare(property, changes[property])), ...this.key.map((property) => prepare(property, key[property]))]);
  }

  private statementFor(dataSource: DataSource) {
    let statement = this.built.get(dataSource);
    if (!statement) {
      const columns = dataSource.getMetadata(this.entity).columns;
      statement = { byProperty: new Map(columns.map((column) => [column.propertyName, column])), sql: new Map() };
      this.built.set(dataSource, statement);
    }
    return statement;
  }
}
