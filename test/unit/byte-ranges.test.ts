import assert from "node:assert/strict";
import type { BigIntStats } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { selectedBytes, entityTagOf } from "../../agent/storage/file-versions.js";
import { StorageError } from "../../agent/storage/storage-error.js";
import { byteRange, downloadConditions, entityTags } from "../../control-plane/files/download-conditions.js";
import { FileRangeSchema, StorageProblem } from "../../gen/tapis/pods/v1/agent_service_pb.js";

const none = { range: "", ifRange: "", ifNoneMatch: "" };

describe("byte ranges of downloads (RFC 9110)", () => {
  it("readsTheThreeFormsOfOneByteRange", () => {
    assert.deepEqual(byteRange("bytes=100-"), { start: { case: "offset", value: 100n } });
    assert.deepEqual(byteRange("bytes=10-19"), { start: { case: "offset", value: 10n }, length: 10n });
    assert.deepEqual(byteRange("BYTES=-500"), { start: { case: "suffixLength", value: 500n } });
    assert.deepEqual(byteRange("bytes=99999999999999999999-"), { start: { case: "offset", value: 2n ** 62n } });
  });

  it("leavesOutWhatItDoesNotServe", () => {
    for (const header of ["", "bytes=0-1,3-4", "bytes=-", "bytes=5-4", "bytes= 0-1", "items=0-1", "bytes=0x10-", "bytes=-1-2"]) assert.equal(byteRange(header), null, header);
  });

  it("keepsARangeUnderAStrongIfRangeOnly", () => {
    assert.deepEqual(downloadConditions({ ...none, range: "bytes=1-", ifRange: '"v1"' }).range, { start: { case: "offset", value: 1n }, ifEtag: '"v1"' });
    for (const ifRange of ['W/"v1"', "Wed, 21 Oct 2015 07:28:00 GMT", "v1"]) assert.equal(downloadConditions({ ...none, range: "bytes=1-", ifRange }).range, undefined, ifRange);
  });

  it("readsIfNoneMatchListsWeakTagsByTheirOpaquePart", () => {
    assert.deepEqual(entityTags('"a", W/"b" ,junk, "c"'), ['"a"', '"b"', '"c"']);
    assert.deepEqual(entityTags(" * "), ["*"]);
    assert.deepEqual(entityTags(""), []);
  });

  it("selectsTheBytesOfTheVersionItWasMeantFor", () => {
    const range = (init: Parameters<typeof create<typeof FileRangeSchema>>[1]) => create(FileRangeSchema, init);
    assert.deepEqual(selectedBytes(range({ start: { case: "offset", value: 10n }, length: 1000n }), '"t"', 100), { first: 10, last: 99 });
    assert.deepEqual(selectedBytes(range({ start: { case: "suffixLength", value: 1000n } }), '"t"', 100), { first: 0, last: 99 });
    assert.equal(selectedBytes(range({ start: { case: "offset", value: 10n }, ifEtag: '"old"' }), '"t"', 100), null);
    assert.equal(selectedBytes(undefined, '"t"', 100), null);
    for (const start of [{ case: "offset", value: 100n }, { case: "suffixLength", value: 0n }] as const) {
      assert.throws(
        () => selectedBytes(range({ start }), '"t"', 100),
        (error: unknown) => error instanceof StorageError && error.problem === StorageProblem.RANGE_NOT_SATISFIABLE && error.fileSize === 100,
      );
    }
  });

  it("tagsEachVersionOfAFileApart", () => {
    const stats = { dev: 1n, ino: 2n, size: 3n, mtimeNs: 4n, ctimeNs: 5n } as BigIntStats;
    const tag = entityTagOf(stats);
    assert.match(tag, /^"[A-Za-z0-9_-]{27}"$/);
    assert.equal(entityTagOf({ ...stats }), tag);
    for (const change of [{ ino: 9n }, { size: 9n }, { mtimeNs: 9n }, { ctimeNs: 9n }]) assert.notEqual(entityTagOf({ ...stats, ...change } as BigIntStats), tag);
  });
});
