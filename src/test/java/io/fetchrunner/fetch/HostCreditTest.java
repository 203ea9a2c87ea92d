package io.fetchrunner.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A host's permits shared between nodes: the coordinator's grants, fair shares, take-backs,
 * crossed reports, a node that goes away and a coordinator started anew; and the gate's side.
 */
class HostCreditTest {
  private static final ActorTestKit kit = ActorTestKit.create();
  private static final String HOST = "h:80";

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static ActorRef<HostCredit.Command> coordinator(int limit, Duration recovery) {
    return kit.spawn(HostCredit.create(HOST, limit, null, recovery));
  }

  private static HostCredit.Report report(TestProbe<HostCredit.Reply> node, int held, int want,
      long seen, String incarnation) {
    return new HostCredit.Report(HOST, node.getRef(), held, want, seen, incarnation);
  }

  private static HostCredit.Granted granted(TestProbe<HostCredit.Reply> node) {
    return node.expectMessageClass(HostCredit.Granted.class);
  }

  @Test
  void aLoneNodeGetsAllAndASecondGetsItsShareOnceTheFirstGivesBack() {
    var c = coordinator(8, Duration.ZERO);
    TestProbe<HostCredit.Reply> a = kit.createTestProbe();
    TestProbe<HostCredit.Reply> b = kit.createTestProbe();
    c.tell(report(a, 0, 20, 0, null));
    String incarnation = granted(a).incarnation(); // its first contact: nothing held yet
    HostCredit.Granted all = granted(a);
    assertEquals(8, all.lease());
    c.tell(report(b, 0, 20, 0, null));
    assertEquals(0, granted(b).lease()); // learns the incarnation; nothing is free
    assertEquals(new HostCredit.Shrink(HOST, 4), a.expectMessageClass(HostCredit.Shrink.class));
    b.expectNoMessage(Duration.ofMillis(100));
    // A report that crossed A's grant (it had not seen grant 1) frees nothing.
    c.tell(report(a, 0, 20, 0, incarnation));
    b.expectNoMessage(Duration.ofMillis(100));
    // A came down to 4, after its grant: B gets those 4.
    c.tell(report(a, 4, 20, all.grant(), incarnation));
    assertEquals(4, granted(b).lease());
    // Nobody waits any more: A may keep what it has.
    assertEquals(Integer.MAX_VALUE, a.expectMessageClass(HostCredit.Shrink.class).target());
  }

  @Test
  void aNodeThatGoesAwayLeavesItsPermitsToTheOthers() {
    var c = coordinator(6, Duration.ZERO);
    TestProbe<HostCredit.Reply> b = kit.createTestProbe();
    TestProbe<HostCredit.Reply> aProbe = kit.createTestProbe();
    ActorRef<HostCredit.Reply> a = kit.spawn(Behaviors.receiveMessage(m -> {
      aProbe.getRef().tell(m);
      return Behaviors.same();
    }));
    c.tell(new HostCredit.Report(HOST, a, 0, 6, 0, null));
    granted(aProbe);
    assertEquals(6, granted(aProbe).lease());
    c.tell(report(b, 0, 6, 0, null));
    assertEquals(0, granted(b).lease());
    kit.stop(a);
    assertEquals(6, granted(b).lease());
  }

  @Test
  void aNewCoordinatorAdoptsWhatNodesHoldBeforeItGrants() {
    var c = coordinator(8, Duration.ofMillis(600));
    TestProbe<HostCredit.Reply> a = kit.createTestProbe();
    TestProbe<HostCredit.Reply> b = kit.createTestProbe();
    // A holds 6 from an earlier coordinator; B wants all 8.
    c.tell(report(a, 6, 6, 3, "earlier"));
    assertEquals(6, granted(a).lease());
    c.tell(report(b, 0, 8, 0, null));
    String incarnation = granted(b).incarnation();
    b.expectNoMessage(Duration.ofMillis(700)); // it only listens at first
    c.tell(report(b, 0, 8, 0, incarnation));
    // 2 free (8 - 6), not B's fair 4: A still holds 6, and is asked to come down to 4.
    assertEquals(2, granted(b).lease());
    assertEquals(4, a.expectMessageClass(HostCredit.Shrink.class).target());
  }

  @Test
  void theGateWaitsForItsLeaseAndGivesBackWhatItDoesNotUse() {
    HostGate gate = new HostGate(8, 100);
    List<String> changed = new ArrayList<>();
    gate.useLeases(changed::add);
    CompletableFuture<Void> first = gate.acquire(HOST);
    assertFalse(first.isDone(), "no lease yet");
    assertEquals(List.of(HOST), changed);
    assertEquals(new HostGate.LeaseState(0, 0, 1), gate.leaseState(HOST));
    gate.leaseGranted(HOST, 2);
    assertTrue(first.isDone());
    assertTrue(gate.acquire(HOST).isDone());
    CompletableFuture<Void> third = gate.acquire(HOST);
    assertFalse(third.isDone(), "the lease is 2");
    // Others wait: come down to 1. The next release does not pass the permit on.
    gate.leaseShrink(HOST, 1);
    gate.release(HOST);
    assertFalse(third.isDone());
    assertEquals(1, gate.leaseState(HOST).lease());
    gate.leaseShrink(HOST, Integer.MAX_VALUE);
    gate.leaseGranted(HOST, 2);
    assertTrue(third.isDone());
    gate.release(HOST);
    gate.release(HOST);
    // Nothing waits: the periodic trim gives both back.
    assertEquals(List.of(HOST), gate.trimLeases());
    assertEquals(new HostGate.LeaseState(0, 0, 0), gate.leaseState(HOST));
  }
}
