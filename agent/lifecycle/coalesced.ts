// Work that many events ask for (an outbox commit, an acknowledgement, a reconnect) but that needs
// to run only once for all of them: it runs on the next turn of the event loop, however many times
// it was asked for before then.
export class Coalesced {
  #work: () => void;
  #scheduled = false;

  constructor(work: () => void) {
    this.#work = work;
  }

  request(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#work();
    });
  }
}
