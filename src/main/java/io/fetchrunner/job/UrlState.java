package io.fetchrunner.job;

/** Where one URL of a job stands. */
public enum UrlState {
  PENDING, SUCCEEDED, FAILED, CANCELLED
}
