/** The consumer on the module path. */
module consumer {
    requires dev.teardown;
}
