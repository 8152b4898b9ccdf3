import { Injectable } from '@nestjs/common';

/** What the bridge has carried each way since it started; served on GET /counters. */
@Injectable()
export class BridgeCounters {
  /** VSOA → MQTT. */
  readonly out = {
    /** Publishes received from the VSOA server. */
    received: 0,
    /** Handed to the broker (acknowledged, for QoS 1 and 2). */
    published: 0,
    /** Waiting for the broker now. */
    buffered: 0,
    /** Dropped, oldest first, because the buffer was full while the broker was away. */
    dropped: 0,
    /** Not bridged: a URL without a topic (see `publishTopic`). */
    skipped: 0,
    /** Refused by the MQTT client (too large for the broker, say). */
    failed: 0,
  };

  /** MQTT → VSOA. */
  readonly in = {
    rpcRequests: 0,
    /** Replies with status 0 from the VSOA server. */
    rpcSucceeded: 0,
    /** Replies with another status from the VSOA server. */
    rpcFailed: 0,
    /** Answered by the bridge itself: VSOA not linked, timeout, too many in flight. */
    rpcUnanswered: 0,
    datagrams: 0,
    /** Requests or datagrams that could not be read (not JSON, bad method, bad base64). */
    rejected: 0,
    /** Datagrams not sent because the VSOA link was down (datagrams have no reply to say so). */
    datagramsLost: 0,
  };
}
