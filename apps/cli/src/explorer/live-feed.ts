import type { VsoaPayload } from '@vsoa/core';

/** What the page is told about one URL's publishes since the previous flush. */
export interface TopicUpdate {
  url: string;
  /** Publishes seen on this URL since the explorer subscribed. */
  count: number;
  /** Publishes since the previous flush: above 1, the page saw only the last of them. */
  delta: number;
  /** The last publish: its param (cut short when too long), data size and first bytes. */
  param: unknown;
  paramCut: boolean;
  dataBytes: number;
  dataHead: string;
  quick: boolean;
}

/** One flush: the URLs that changed, and how much was left out to keep the page responsive. */
export interface FeedBatch {
  at: number;
  updates: TopicUpdate[];
  /** Publishes folded into another's update (the page sees one value per URL per flush). */
  sampled: number;
  /** Publishes on URLs beyond the tracked limit, counted but not shown. */
  untracked: number;
}

export interface LiveFeedOptions {
  /** Distinct URLs tracked; publishes on more are only counted. Default 2000. */
  maxTopics?: number;
  /** Longest param (as JSON) passed to the page whole. Default 4096 characters. */
  maxParamChars?: number;
}

/** Data bytes shown of each publish, as hex. */
const DATA_HEAD_BYTES = 32;

interface Topic {
  count: number;
  delta: number;
  last: VsoaPayload;
  quick: boolean;
}

/**
 * Folds a publisher's rate down to what a page can draw: between two flushes each URL keeps its
 * count and its last value only, so a flush is bounded by the number of URLs, not of publishes.
 */
export class LiveFeed {
  private readonly topics = new Map<string, Topic>();
  private readonly dirty = new Set<string>();
  private readonly maxTopics: number;
  private readonly maxParamChars: number;
  private untracked = 0;

  constructor(options: LiveFeedOptions = {}) {
    this.maxTopics = options.maxTopics ?? 2000;
    this.maxParamChars = options.maxParamChars ?? 4096;
  }

  /** Every URL seen, with its count: what a page that (re)opens starts from. */
  get size(): number {
    return this.topics.size;
  }

  record(url: string, payload: VsoaPayload, quick: boolean): void {
    let topic = this.topics.get(url);
    if (!topic) {
      if (this.topics.size >= this.maxTopics) {
        this.untracked++;
        return;
      }
      topic = { count: 0, delta: 0, last: payload, quick };
      this.topics.set(url, topic);
    }
    topic.count++;
    topic.delta++;
    topic.last = payload;
    topic.quick = quick;
    this.dirty.add(url);
  }

  /** The changes since the previous flush (null when there are none), and resets the deltas. */
  flush(now = Date.now()): FeedBatch | null {
    if (this.dirty.size === 0 && this.untracked === 0) return null;
    let sampled = 0;
    const updates: TopicUpdate[] = [];
    for (const url of this.dirty) {
      const topic = this.topics.get(url) as Topic;
      sampled += topic.delta - 1;
      updates.push(this.describe(url, topic));
      topic.delta = 0;
    }
    this.dirty.clear();
    const batch = { at: now, updates, sampled, untracked: this.untracked };
    this.untracked = 0;
    return batch;
  }

  /** Every tracked URL as it stands, for a page that connects late. */
  snapshot(): TopicUpdate[] {
    return [...this.topics].map(([url, topic]) => ({ ...this.describe(url, topic), delta: 0 }));
  }

  /** Forgets every URL (a new connection starts a new tree). */
  clear(): void {
    this.topics.clear();
    this.dirty.clear();
    this.untracked = 0;
  }

  private describe(url: string, topic: Topic): TopicUpdate {
    const { param, data } = topic.last;
    const json = param === undefined ? undefined : JSON.stringify(param);
    const paramCut = json !== undefined && json.length > this.maxParamChars;
    return {
      url,
      count: topic.count,
      delta: topic.delta,
      param: paramCut ? `${(json as string).slice(0, this.maxParamChars)}…` : (param ?? null),
      paramCut,
      dataBytes: data?.length ?? 0,
      dataHead: data ? data.subarray(0, DATA_HEAD_BYTES).toString('hex') : '',
      quick: topic.quick,
    };
  }
}
