import { MessageHandler, Server } from '@nestjs/microservices';

/**
 * A Nest transport server that looks its handlers up once per pattern. Nest resolves a pattern by
 * trying `JSON.parse` on it first, which throws for every URL: that exception cost more than the
 * rest of a call. Our patterns are the registered URLs, so the answer is kept per pattern (and
 * forgotten when handlers change).
 */
export abstract class HandlerCacheServer<
  EventsMap extends Record<string, (...args: never[]) => void>,
  Status extends string,
> extends Server<EventsMap, Status> {
  private readonly handlerCache = new Map<string, MessageHandler | null>();

  override getHandlerByPattern(pattern: string): MessageHandler | null {
    let handler = this.handlerCache.get(pattern);
    if (handler === undefined) {
      handler = super.getHandlerByPattern(pattern);
      this.handlerCache.set(pattern, handler);
    }
    return handler;
  }

  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler?: boolean, extras?: Record<string, unknown>): void {
    this.handlerCache.clear();
    super.addHandler(pattern, callback, isEventHandler, extras);
  }
}
