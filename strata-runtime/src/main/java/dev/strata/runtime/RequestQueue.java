package dev.strata.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A version's bounded request queue and dynamic batcher, shared by its instances' workers.
 *
 * <p>One lock guards an intrusive doubly linked list (so a cancelled or timed-out request leaves in
 * O(1)); it is never held while a model runs. One worker at a time forms a batch: it looks at the
 * queue, takes a batch when the policy says so, or waits on {@code growing} until more requests
 * could change the answer or the oldest request's delay is up. The other idle workers wait on
 * {@code work}; a worker that leaves requests behind wakes the next. Producers signal at most one
 * thread per request, and nothing spins.
 */
final class RequestQueue {
  enum Offer {
    ACCEPTED,
    FULL,
    CLOSED
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Condition growing = lock.newCondition();
  private final BatchPolicy policy;
  private final ModelSignature signature;
  private final int capacity;

  private Pending head;
  private Pending tail;
  private int size;
  private int rows;
  private boolean closed;
  private boolean forming;
  private int wakeRows = Integer.MAX_VALUE;

  RequestQueue(BatchPolicy policy, ModelSignature signature, int capacity) {
    this.policy = policy;
    this.signature = signature;
    this.capacity = capacity;
  }

  Offer offer(Pending p) {
    lock.lock();
    try {
      if (closed) {
        return Offer.CLOSED;
      }
      if (size >= capacity) {
        return Offer.FULL;
      }
      link(p);
      if (!forming) {
        work.signal();
      } else if (rows >= wakeRows) {
        growing.signal();
      }
      return Offer.ACCEPTED;
    } finally {
      lock.unlock();
    }
  }

  /** Takes a request out of the queue; false when it was not queued (taken, or never queued). */
  boolean remove(Pending p) {
    lock.lock();
    try {
      if (!p.queued) {
        return false;
      }
      unlink(p);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Blocks until a batch is ready and moves it into {@code batch}; false once the queue is closed
   * and empty (the worker should stop).
   */
  boolean take(Batch batch) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      while (true) {
        while (size == 0 ? !closed : forming) {
          work.await();
        }
        if (size == 0) {
          return false;
        }
        forming = true;
        try {
          if (form(batch)) {
            return true;
          }
        } finally {
          forming = false;
          wakeRows = Integer.MAX_VALUE;
          if (size > 0) {
            work.signal();
          }
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Forms a batch under the lock; false if the queue emptied while waiting. */
  private boolean form(Batch batch) throws InterruptedException {
    while (true) {
      Pending first = null;
      int n = 0;
      int r = 0;
      int preferredN = 0;
      boolean complete = false;
      for (Pending p = head; p != null; ) {
        Pending next = p.next;
        if (p.isDone()) {
          unlink(p); // cancelled or timed out between its completion and its removal
          p.releaseInputs();
        } else if (!policy.batching) {
          first = p;
          n = 1;
          complete = true;
          break;
        } else if (first != null && !signature.sameShape(first, p)) {
          complete = true;
          break;
        } else if (r + p.rows > policy.maxRows) {
          complete = true;
          break;
        } else {
          if (first == null) {
            first = p;
          }
          r += p.rows;
          n++;
          if (policy.preferred(r)) {
            preferredN = n;
          }
          if (r == policy.maxRows) {
            complete = true;
            break;
          }
        }
        p = next;
      }
      if (n == 0) {
        return false;
      }
      int take;
      if (preferredN > 0) {
        take = preferredN;
      } else if (complete || closed || policy.delayNanos == 0) {
        take = n;
      } else {
        long wait = first.enqueueNanos + policy.delayNanos - System.nanoTime();
        if (wait <= 0) {
          take = n;
        } else {
          wakeRows = policy.nextTarget(r);
          growing.awaitNanos(wait);
          continue;
        }
      }
      // Nothing was linked since the scan (the lock is held), so the first `take` entries are the
      // ones counted; one cancelled since then is dropped here rather than run.
      for (int i = 0; i < take; i++) {
        Pending p = head;
        unlink(p);
        if (!p.isDone()) {
          batch.add(p);
        } else {
          p.releaseInputs();
        }
      }
      return true;
    }
  }

  /** Stops accepting; queued requests are still handed out until none is left. */
  void close() {
    lock.lock();
    try {
      closed = true;
      work.signalAll();
      growing.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Closes the queue and takes out everything still queued (to be failed by the caller). */
  List<Pending> closeAndClear() {
    lock.lock();
    try {
      closed = true;
      List<Pending> left = new ArrayList<>(size);
      while (head != null) {
        Pending p = head;
        unlink(p);
        left.add(p);
      }
      work.signalAll();
      growing.signalAll();
      return left;
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return size;
    } finally {
      lock.unlock();
    }
  }

  boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  private void link(Pending p) {
    p.prev = tail;
    p.next = null;
    if (tail == null) {
      head = p;
    } else {
      tail.next = p;
    }
    tail = p;
    p.queued = true;
    size++;
    rows += p.rows;
  }

  private void unlink(Pending p) {
    Pending prev = p.prev;
    Pending next = p.next;
    if (prev == null) {
      head = next;
    } else {
      prev.next = next;
    }
    if (next == null) {
      tail = prev;
    } else {
      next.prev = prev;
    }
    p.prev = null;
    p.next = null;
    p.queued = false;
    size--;
    rows -= p.rows;
  }
}
