// Registers the step and check kinds that live in this folder (imported once by the engine).
import './snapshot';
import './provider-reboot';
import './host-checks';
