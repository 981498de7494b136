import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from "typeorm";

/**
 * The first schema. Written with the QueryRunner schema API only, so the same
 * migration runs on SQLite and MySQL/MariaDB.
 */
export class InitialSchema1764028800000 implements MigrationInterface {
  name = "InitialSchema1764028800000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    const str = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name,
      type: "varchar",
      length: String(length),
      ...extra,
    });
    const key = (name: string, length: number) => str(name, length, { isPrimary: true });
    const millis = (name: string, isNullable = false): TableColumnOptions => ({ name, type: "bigint", isNullable });
    const body = (name: string): TableColumnOptions => ({ name, type: text });
    const serial: TableColumnOptions = { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" };

    await qr.createTable(
      new Table({
        name: "pods",
        columns: [
          key("tenant_id", 64),
          key("pod_id", 64),
          str("site_id", 64),
          str("uid", 36),
          { name: "generation", type: "int" },
          str("cluster_id", 64),
          body("definition"),
          str("template_version", 320, { isNullable: true }),
          str("status_requested", 16),
          str("status", 16),
          body("status_container"),
          millis("creation_ts"),
          millis("update_ts"),
          millis("start_instance_ts", true),
          millis("time_to_stop_ts", true),
        ],
        indices: [
          { name: "pods_by_cluster", columnNames: ["cluster_id"] },
          { name: "pods_by_time_to_stop", columnNames: ["status_requested", "time_to_stop_ts"] },
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "pod_credentials",
        columns: [
          key("tenant_id", 64),
          key("pod_id", 64),
          str("user_username", 128),
          str("user_password", 128),
          str("service_username", 128),
          str("service_password", 128),
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "permissions",
        columns: [key("tenant_id", 64), key("object_kind", 16), key("object_id", 128), key("username", 128), str("level", 8)],
        indices: [{ name: "permissions_by_user", columnNames: ["tenant_id", "object_kind", "username"] }],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "pod_action_logs",
        columns: [serial, str("tenant_id", 64), str("pod_id", 64), millis("at"), body("message")],
        indices: [{ name: "pod_action_logs_by_pod", columnNames: ["tenant_id", "pod_id", "id"] }],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "pod_log_chunks",
        columns: [serial, str("tenant_id", 64), str("pod_id", 64), { name: "bytes", type: "int" }, body("text"), millis("at")],
        indices: [{ name: "pod_log_chunks_by_pod", columnNames: ["tenant_id", "pod_id", "id"] }],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "outbox",
        columns: [
          serial,
          str("topic", 255),
          str("message_key", 255),
          body("payload"),
          millis("created_at"),
          str("claimed_by", 64, { isNullable: true }),
          millis("claimed_until"),
        ],
      }),
      true,
    );
    await qr.createIndex("outbox", new TableIndex({ name: "outbox_by_claim", columnNames: ["claimed_until", "id"] }));
    await qr.createTable(
      new Table({
        name: "templates",
        columns: [
          key("tenant_id", 64),
          key("template_id", 128),
          str("site_id", 64),
          str("description", 2048),
          body("metatags"),
          str("archive_message", 2048),
          str("owner", 128),
          millis("creation_ts"),
          millis("update_ts"),
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "template_tags",
        columns: [
          key("tenant_id", 64),
          key("template_id", 128),
          key("tag_timestamp", 160),
          str("tag", 128),
          body("pod_definition"),
          str("commit_message", 2048),
          str("description", 2048),
          str("archive_message", 2048),
          str("added_by", 128),
          str("site_id", 64),
          millis("creation_ts"),
        ],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const table of ["template_tags", "templates", "outbox", "pod_log_chunks", "pod_action_logs", "permissions", "pod_credentials", "pods"]) {
      await qr.dropTable(table, true);
    }
  }
}
