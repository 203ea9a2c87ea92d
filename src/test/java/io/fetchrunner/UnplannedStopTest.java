package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import io.fetchrunner.support.ChildService;
import java.io.IOException;
import java.nio.file.Path;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service whose actor system stops without being asked to (a guardian failure, the node
 * downed by the cluster, ...) can do nothing more: the process must end with a non-zero status,
 * so that whatever supervises it (systemd, Docker's restart policy) starts it again. Here a
 * real child process is downed from outside, through Pekko's cluster MBean, as an operator or
 * the split-brain resolver would.
 */
class UnplannedStopTest {

  @Test
  void theProcessExitsWithStatus4WhenItsActorSystemStopsUnasked(@TempDir Path dataDir)
      throws Exception {
    try (ChildService child = ChildService.start(dataDir)) {
      VirtualMachine vm = VirtualMachine.attach(String.valueOf(child.pid()));
      String address;
      try {
        address = vm.startLocalManagementAgent();
      } finally {
        vm.detach();
      }
      try (var jmx = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
        MBeanServerConnection server = jmx.getMBeanServerConnection();
        ObjectName cluster = server.queryNames(new ObjectName("pekko:type=Cluster,*"), null)
            .stream().findFirst().orElseThrow(() -> new AssertionError("no cluster MBean"));
        String self = (String) server.getAttribute(cluster, "Members");
        server.invoke(cluster, "down", new Object[] {self}, new String[] {"java.lang.String"});
      } catch (IOException closedWhileAnswering) {
        // the process may be gone before the call returns
      }
      long start = System.nanoTime();
      int status = child.awaitExit();
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(4, status, () -> "exited after " + ms + " ms: " + child.output());
      assertTrue(child.output().contains(
          "the actor system stopped unasked (the cluster downed this node"), child::output);
    }
  }
}
