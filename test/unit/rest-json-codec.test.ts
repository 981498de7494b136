import assert from "node:assert/strict";
import { create, toJson } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { PodSchema, PodStatus, StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import { CreatePodRequestSchema } from "../../gen/tapis/pods/v1/pods_service_pb.js";
import { decodeMessageJson } from "../../shared/rest-json/rest-json-decoder.js";
import { encodeMessageJson, timestampJson } from "../../shared/rest-json/rest-json-encoder.js";

describe("REST JSON codec", () => {
  const decode = (json: unknown) => {
    const problems: string[] = [];
    const init = decodeMessageJson(CreatePodRequestSchema, json, "", problems);
    return { init, problems };
  };

  it("acceptsEnumShortNamesAndFullNames", () => {
    assert.equal(decode({ status_requested: "OFF" }).init.statusRequested, StatusRequested.OFF);
    assert.equal(decode({ status_requested: "STATUS_REQUESTED_OFF" }).init.statusRequested, StatusRequested.OFF);
    assert.deepEqual(decode({ status_requested: "UNSPECIFIED" }).problems, ['status_requested: must be one of ON, OFF, RESTART (got "UNSPECIFIED")']);
  });

  it("refusesCamelCaseAliasesOfFieldNames", () => {
    assert.deepEqual(decode({ podId: "x" }).problems, ["podId: unknown field"]);
  });

  it("refusesFractionsAndOutOfRangeIntegers", () => {
    assert.match(decode({ time_to_stop_default: 1.5 }).problems[0]!, /time_to_stop_default: expected an integer/);
    assert.match(decode({ time_to_stop_default: 2 ** 40 }).problems[0]!, /expected an integer between/);
  });

  it("keepsANullMountAsAnEmptyMountMeaningRemove", () => {
    const { init, problems } = decode({ volume_mounts: { "/data": null } });
    assert.deepEqual(problems, []);
    assert.deepEqual(init.volumeMounts, { "/data": {} });
  });

  it("treatsNullAsAbsent", () => {
    assert.deepEqual(decode({ description: null, time_to_stop_instance: null }), { init: {}, problems: [] });
  });

  it("encodesEveryFieldWithUnsetOptionalsAndMessagesAsNull", () => {
    const json = encodeMessageJson(PodSchema, create(PodSchema, { podId: "p", status: PodStatus.AVAILABLE }));
    assert.equal(json.status, "AVAILABLE");
    assert.equal(json.time_to_stop_instance, null);
    assert.equal(json.resources, null);
    assert.equal(json.status_requested, null);
    assert.deepEqual(json.command, []);
    assert.deepEqual(Object.keys(json).slice(0, 3), ["pod_id", "image", "template"]);
  });

  it("writesTimestampsAsProtobufsJsonDoes", () => {
    const cases: [bigint, number][] = [
      [0n, 0],
      [1_764_633_600n, 0],
      [1_764_633_600n, 5_000_000],
      [1_764_633_600n, 123_456_000],
      [1_764_633_600n, 1],
      [1_764_633_600n, 999_999_999],
      [-1n, 500_000_000],
      [-62_135_596_800n, 0],
      [253_402_300_799n, 999_000_000],
    ];
    for (const [seconds, nanos] of cases) {
      const timestamp = create(TimestampSchema, { seconds, nanos });
      assert.equal(timestampJson(timestamp), toJson(TimestampSchema, timestamp), `${seconds} s ${nanos} ns`);
    }
    for (const [seconds, nanos] of [[-62_135_596_801n, 0], [253_402_300_800n, 0], [0n, -1], [0n, 1_000_000_000]] as [bigint, number][]) {
      assert.equal(timestampJson(create(TimestampSchema, { seconds, nanos })), undefined, `${seconds} s ${nanos} ns is out of range`);
    }
  });
});
