import type { BusHandler, BusMessage, EventBus, SubscribeOptions, Subscription } from "./event-bus.js";
import { partitionOfKey, type Assignment } from "./key-partitions.js";

interface Member {
  handler: BusHandler;
  closed: boolean;
  onAssignment?: (assignment: Assignment) => void;
}

interface Group {
  members: Member[];
  /** Per key: the tail of that key's delivery chain, so one key stays ordered. */
  chains: Map<string, Promise<void>>;
  /** Messages delivered to the group and not handled yet. */
  waiting: number;
}

/**
 * The event bus for a single process. Each group gets every message; within a
 * group the members split the keys as Kafka consumers split partitions (one
 * partition per member, placed with partitionOfKey, reassigned when a member
 * comes or goes) and keys are delivered in order.
 * Messages published while a topic has no group are kept (up to
 * `retainWithoutSubscribers`, oldest dropped first) for the first group that
 * subscribes, as a broker would keep them for a group that starts late.
 */
export class InProcessEventBus implements EventBus {
  private readonly topics = new Map<string, Map<string, Group>>();
  private readonly retained = new Map<string, BusMessage[]>();
  /** Set by close(): no new messages; deliveries under way finish, without further retries. */
  private closing = false;

  constructor(
    private readonly options: {
      retainWithoutSubscribers?: number;
      redeliveryDelayMs?: number;
      onHandlerError?: (error: unknown, message: BusMessage) => void;
    } = {},
  ) {}

  async prepare(): Promise<void> {}

  async ping(): Promise<void> {
    if (this.closing) throw new Error("event bus is closed");
  }

  async publish(messages: BusMessage[]): Promise<void> {
    if (this.closing) throw new Error("event bus is closed");
    for (const message of messages) {
      const groups = this.topics.get(message.topic);
      if (!groups || groups.size === 0) {
        this.retain(message);
        continue;
      }
      for (const group of groups.values()) this.deliver(group, message);
    }
  }

  async subscribe(topic: string, groupName: string, handler: BusHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    let groups = this.topics.get(topic);
    if (!groups) this.topics.set(topic, (groups = new Map()));
    let group = groups.get(groupName);
    if (!group) groups.set(groupName, (group = { members: [], chains: new Map(), waiting: 0 }));
    const member: Member = { handler, closed: false, onAssignment: options.onAssignment };
    group.members.push(member);
    reassign(group);
    const backlog = this.retained.get(topic);
    if (backlog) {
      this.retained.delete(topic);
      for (const message of backlog) this.deliver(group, message);
    }
    const owner = group;
    return {
      assignment: () => (member.closed ? null : assignmentOf(owner, member)),
      lag: async () => owner.waiting,
      close: async () => {
        member.closed = true;
        owner.members = owner.members.filter((m) => m !== member);
        reassign(owner);
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    const pending: Promise<void>[] = [];
    for (const groups of this.topics.values()) {
      for (const group of groups.values()) pending.push(...group.chains.values());
    }
    await Promise.allSettled(pending);
    this.topics.clear();
  }

  private retain(message: BusMessage): void {
    const limit = this.options.retainWithoutSubscribers ?? 10_000;
    const queue = this.retained.get(message.topic) ?? [];
    queue.push(message);
    if (queue.length > limit) queue.shift();
    this.retained.set(message.topic, queue);
  }

  private deliver(group: Group, message: BusMessage): void {
    const previous = group.chains.get(message.key) ?? Promise.resolve();
    group.waiting++;
    const next = previous.then(() => this.handleWithRetry(group, message)).finally(() => group.waiting--);
    group.chains.set(message.key, next);
    void next.then(() => {
      if (group.chains.get(message.key) === next) group.chains.delete(message.key);
    });
  }

  private async handleWithRetry(group: Group, message: BusMessage): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const member = pickMember(group.members, message.key);
      if (!member) return;
      try {
        await member.handler(message);
        return;
      } catch (error) {
        this.options.onHandlerError?.(error, message);
        if (this.closing) return;
        const delay = Math.min((this.options.redeliveryDelayMs ?? 100) * 2 ** attempt, 5_000);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

function pickMember(members: Member[], key: string): Member | undefined {
  const live = members.filter((m) => !m.closed);
  if (live.length === 0) return undefined;
  return live[partitionOfKey(key, live.length)];
}

/** A live member's share: the one partition numbered by its place among the live members. */
function assignmentOf(group: Group, member: Member): Assignment {
  const live = group.members.filter((m) => !m.closed);
  return { partitionCount: live.length, partitions: [live.indexOf(member)] };
}

/** Tells every member its share after the group changed, as a rebalance does. */
function reassign(group: Group): void {
  for (const member of group.members) if (!member.closed) member.onAssignment?.(assignmentOf(group, member));
}
