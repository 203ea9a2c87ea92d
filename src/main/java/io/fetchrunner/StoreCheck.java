package io.fetchrunner;

import com.typesafe.config.Config;
import java.util.List;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import org.apache.pekko.cluster.Valid$;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Refuses a node that would join the cluster with a store of its own: every node must write
 * to and read from the same database and schema, or jobs would be fetched twice and the
 * history would miss what other nodes stored. Each store holds an identity made when its
 * schema is first created ({@code store_identity}); the service puts it in
 * {@value #KEY} before the actor system starts, and Pekko compares it when a node joins. The
 * refused node stops (exit status 4) and logs both identities.
 */
public final class StoreCheck extends JoinConfigCompatChecker {
  /** The store's identity in the configuration (set by {@link FetchRunner}). */
  public static final String KEY = "fetchrunner.cluster.store-id";

  @Override
  public Seq<String> requiredKeys() {
    return CollectionConverters.asScala(List.of(KEY)).toList();
  }

  @Override
  public ConfigValidation check(Config toCheck, Config actualConfig) {
    String joining = toCheck.hasPath(KEY) ? toCheck.getString(KEY) : "(none)";
    String ours = actualConfig.getString(KEY);
    if (joining.equals(ours)) return Valid$.MODULE$;
    return new Invalid(CollectionConverters.asScala(List.of("the joining node's store ("
        + joining + ") is not the cluster's (" + ours + "): every node must use the same"
        + " database and schema (FETCHRUNNER_STORE_URL, FETCHRUNNER_STORE_SCHEMA)")).toList());
  }
}
