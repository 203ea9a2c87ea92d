// Server-Sent Events read with fetch(): EventSource cannot send an Authorization header, and
// the token must not go into a URL. Parses text/event-stream as the HTML standard says
// (event, data, id; comments and retry ignored) and reconnects with Last-Event-ID.

/** Feeds text chunks in, calls onEvent({type, id, data}) for each complete event. */
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.lastEventId = null;
    this.type = '';
    this.data = [];
  }

  push(text) {
    // One pass over the chunk, one slice for the rest: slicing the buffer after each line
    // would copy a large chunk once per line.
    const buffer = this.buffer + text;
    let from = 0;
    let newline;
    while ((newline = buffer.indexOf('\n', from)) >= 0) {
      const end = newline > from && buffer.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.line(buffer.slice(from, end));
      from = newline + 1;
    }
    this.buffer = buffer.slice(from);
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0) {
        this.onEvent({ type: this.type || 'message', id: this.lastEventId, data: this.data.join('\n') });
      }
      this.type = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return; // a comment: the server's heartbeat
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
  }
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/**
 * Follows an event stream until onEvent returns 'stop', the server ends a stream after an event
 * for which ended(event) is true, or signal aborts. open(headers) makes the request (the caller
 * adds the token); a dropped connection is opened again after 1 s, 2 s, ... at most 10 s, with
 * Last-Event-ID so the server sends only what was missed (lastEventId: where to start).
 * onState('open' | 'retrying' | 'ended', detail) reports the connection's state.
 */
export async function follow({ open, onEvent, ended = () => false, signal, onState = () => {},
  lastEventId: after = null }) {
  let lastEventId = after;
  let wait = 1000;
  for (;;) {
    if (signal?.aborted) return;
    let finished = false;
    try {
      const headers = { Accept: 'text/event-stream' };
      if (lastEventId != null) headers['Last-Event-ID'] = lastEventId;
      const response = await open(headers);
      if (!response.ok) {
        const problem = await response.json().catch(() => null);
        onState('ended', problem?.detail || `HTTP ${response.status}`);
        return;
      }
      onState('open');
      wait = 1000;
      const parser = new SseParser((event) => {
        if (finished) return;
        if (onEvent(event) === 'stop' || ended(event)) finished = true;
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
        if (finished) { reader.cancel().catch(() => {}); break; }
      }
      lastEventId = parser.lastEventId ?? lastEventId;
    } catch (e) {
      if (signal?.aborted || e.name === 'AbortError') return;
      // a network error: retried below
    }
    if (finished) { onState('ended'); return; }
    onState('retrying');
    await sleep(wait, signal);
    wait = Math.min(wait * 2, 10000);
  }
}
