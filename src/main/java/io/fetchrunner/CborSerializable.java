package io.fetchrunner;

/**
 * Marker for every message, event and snapshot that may leave the JVM or reach the store.
 * Bound to Jackson CBOR in fetchrunner-runtime.conf; Java serialization is off.
 */
public interface CborSerializable {}
