package io.possync.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/architecture.md ("Packages"), checked on the production classes:
 * arrows point one way, the rules are pure, and each technology stays in its own room.
 */
class PackageRulesTest {
  private static JavaClasses main;

  @BeforeAll
  static void importProductionClasses() {
    main = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.possync");
  }

  /** {@code pkg} may use only the project packages listed (and any library not excluded). */
  private static ArchRule onlyUses(String pkg, String... allowed) {
    String[] packages = new String[allowed.length + 2];
    packages[0] = "io.possync." + pkg + "..";
    packages[1] = "java..";
    for (int i = 0; i < allowed.length; i++) {
      packages[i + 2] = "io.possync." + allowed[i] + "..";
    }
    return noClasses().that().resideInAPackage("io.possync." + pkg + "..")
        .should().dependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
            "a PosSync package other than " + String.join(", ", allowed),
            c -> c.getPackageName().startsWith("io.possync.")
                && !c.getPackageName().equals("io.possync." + pkg)
                && !c.getPackageName().startsWith("io.possync." + pkg + ".")
                && java.util.Arrays.stream(allowed).noneMatch(a ->
                    c.getPackageName().equals("io.possync." + a)
                        || c.getPackageName().startsWith("io.possync." + a + "."))))
        .because("docs/architecture.md lists what " + pkg + " may use");
  }

  @Test
  void leavesUseNoOtherPackage() {
    onlyUses("wire").check(main);
    onlyUses("time").check(main);
    onlyUses("config").check(main);
  }

  @Test
  void syncIsThePureRules() {
    onlyUses("sync", "wire", "outbox").check(main);
    noClasses().that().resideInAPackage("io.possync.sync..")
        .should().dependOnClassesThat().resideInAnyPackage("org.eclipse.jetty..", "java.sql..",
            "java.net..", "java.nio.file..", "com.github.benmanes.caffeine..")
        .because("sync decides without sockets, disks or caches of its own")
        .check(main);
  }

  @Test
  void busKnowsNoOrdersAndStoreKnowsNoBus() {
    onlyUses("bus", "wire", "time").check(main);
    onlyUses("store", "sync", "wire", "outbox").check(main);
  }

  @Test
  void pipelineSitsBetweenHttpAndTheParts() {
    onlyUses("pipeline", "sync", "store", "bus", "wire", "time", "outbox").check(main);
  }

  @Test
  void httpTalksToThePipelineOnly() {
    onlyUses("http", "pipeline", "sync", "wire", "config").check(main);
    noClasses().that().resideInAPackage("io.possync.http..")
        .should().dependOnClassesThat().haveFullyQualifiedName("io.possync.sync.MultiSessionRules")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("io.possync.sync.MultiSession")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("io.possync.sync.Terminals")
        .because("http hands requests to the pipeline; only sync's value types cross")
        .check(main);
  }

  @Test
  void odooSeesOnlyTheOutboxInterface() {
    onlyUses("odoo", "outbox", "config", "wire", "time").check(main);
  }

  @Test
  void technologiesStayInTheirRooms() {
    noClasses().that().resideOutsideOfPackages("io.possync.http..", "io.possync.app..")
        .should().dependOnClassesThat().resideInAPackage("org.eclipse.jetty..")
        .because("nothing below http sees Jetty types").check(main);
    noClasses().that().resideOutsideOfPackage("io.possync.store..")
        .should().dependOnClassesThat().resideInAPackage("java.sql..")
        .because("nothing outside store sees SQL").check(main);
    classes().that().resideInAPackage("io.possync.app..")
        .should().onlyBeAccessed().byClassesThat().resideInAPackage("io.possync.app..")
        .because("app wires everything and nothing depends on it").check(main);
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("io.possync.(*)..").should().beFreeOfCycles().check(main);
  }
}
