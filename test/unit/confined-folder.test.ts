import assert from "node:assert/strict";
import { constants } from "node:fs";
import { mkdir, mkdtemp, open, readFile, rename, rm, symlink, writeFile, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageProblem } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { entryOf, removeEntry, walkFolders } from "../../agent/storage/confined-folder.js";
import { StorageError } from "../../agent/storage/storage-error.js";

/**
 * The agent resolves paths inside a volume one name at a time through
 * folders it holds open (openat-style), so what a pod does to the volume
 * meanwhile — swap a folder for a link to /etc — cannot redirect it. On the
 * real file system of a temporary folder.
 */
describe("paths resolved through open folders", () => {
  let root: string;
  let volume: FileHandle;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "pods-confined-"));
    await mkdir(join(root, "volume", "data"), { recursive: true });
    await writeFile(join(root, "volume", "data", "a.txt"), "inside\n");
    await mkdir(join(root, "outside"));
    await writeFile(join(root, "outside", "a.txt"), "outside\n");
    volume = await open(join(root, "volume"), constants.O_RDONLY | constants.O_DIRECTORY);
  });
  afterEach(async () => {
    await volume.close();
    await rm(root, { recursive: true, force: true });
  });

  it("keepsToTheFolderItOpenedWhenThatFolderIsSwappedForALinkAfterwards", async () => {
    const data = await walkFolders(volume, ["data"]);
    try {
      await rename(join(root, "volume", "data"), join(root, "volume", "moved"));
      await symlink(join(root, "outside"), join(root, "volume", "data"));
      assert.equal(await readFile(entryOf(data, "a.txt"), "utf8"), "inside\n", "the name is looked up in the folder held, not the link now in its place");
    } finally {
      await data.close();
    }
  });

  it("refusesALinkAnywhereOnThePathNamingIt", async () => {
    await symlink(join(root, "outside"), join(root, "volume", "link"));
    await assert.rejects(walkFolders(volume, ["link"]), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.problem, StorageProblem.INVALID_PATH);
      assert.equal(error.message, "'link' is a symbolic link; links are not followed");
      return true;
    });
    await mkdir(join(root, "volume", "data", "deeper"));
    await symlink("/etc", join(root, "volume", "data", "deeper", "etc"));
    await assert.rejects(walkFolders(volume, ["data", "deeper", "etc"]), /'data\/deeper\/etc' is a symbolic link/);
  });

  it("removesATreeWithoutFollowingTheLinksInIt", async () => {
    await symlink(join(root, "outside"), join(root, "volume", "data", "out"));
    await removeEntry(volume, "data");
    assert.equal(await readFile(join(root, "outside", "a.txt"), "utf8"), "outside\n");
    await assert.rejects(readFile(join(root, "volume", "data", "a.txt")), { code: "ENOENT" });
  });
});
