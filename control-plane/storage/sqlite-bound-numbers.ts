import type { DataSource } from "typeorm";

type Escape = (sql: string, parameters: Record<string, unknown>, nativeParameters: Record<string, unknown>) => [string, unknown[]];

/**
 * typeorm's SQLite drivers write number parameters into the SQL text, so
 * every write carrying a new timestamp is a new statement: compiled anew,
 * then pushed through the statement cache (first in, first out), which
 * evicts the hot reads. This binds them as parameters instead, the way every
 * other value is bound. SQLite stores what it stored before: a whole number
 * bound into an INTEGER or NUMERIC column is kept as an integer, and
 * comparisons with those columns are numeric either way.
 */
export function bindNumbersAsParameters(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { escapeQueryWithParameters: Escape };
  const escape = driver.escapeQueryWithParameters.bind(driver);
  driver.escapeQueryWithParameters = (sql, parameters, nativeParameters) => {
    if (!parameters) return escape(sql, parameters, nativeParameters);
    const numbers: Record<string, number> = {};
    const others: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(parameters)) {
      if (typeof value === "number") numbers[key] = value;
      else others[key] = value;
    }
    if (Object.keys(numbers).length === 0) return escape(sql, parameters, nativeParameters);
    // Each number becomes a one-element list, which the driver binds; every other value takes its usual way.
    const marked = sql.replaceAll(/:(\.\.\.)?([A-Za-z0-9_.]+)/g, (full, spread: string | undefined, key: string) =>
      !spread && Object.hasOwn(numbers, key) ? `:...${key}` : full,
    );
    const lists: Record<string, unknown> = { ...others };
    for (const [key, value] of Object.entries(numbers)) lists[key] = [value];
    return escape(marked, lists, nativeParameters);
  };
}
