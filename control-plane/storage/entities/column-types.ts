import type { EntitySchemaColumnOptions } from "typeorm";

/**
 * Column shapes used by every table. Times are epoch milliseconds in BIGINT:
 * one representation on SQLite and MySQL, no time-zone or precision drift.
 * MySQL returns BIGINT as a string, hence the transformer.
 */
export const epochMillis = (nullable = false): EntitySchemaColumnOptions => ({
  type: "bigint",
  nullable,
  transformer: {
    to: (value: number | null | undefined) => value,
    from: (value: string | number | null) => (value === null ? null : Number(value)),
  },
});

/** A count that may pass 2^31 (bytes), as BIGINT read back as a number. */
export const bigCount = (): EntitySchemaColumnOptions => epochMillis();

export const shortText = (length = 128, nullable = false): EntitySchemaColumnOptions => ({
  type: "varchar",
  length,
  nullable,
});

/** JSON stored as text (LONGTEXT on MySQL, created so by the migrations). */
export const jsonText = (nullable = false): EntitySchemaColumnOptions => ({ type: "simple-json", nullable });

export const longText = (): EntitySchemaColumnOptions => ({ type: "text" });

export const integer = (): EntitySchemaColumnOptions => ({ type: "int" });

/** A boolean as 0/1 in an INT column: one representation on SQLite and MySQL. */
export const flag = (): EntitySchemaColumnOptions => ({
  type: "int",
  transformer: {
    to: (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0),
    from: (value: number | string) => Number(value) === 1,
  },
});
