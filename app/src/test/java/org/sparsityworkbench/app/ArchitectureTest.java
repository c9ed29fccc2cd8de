package org.sparsityworkbench.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The module rules of docs/architecture.md, as tests. */
@AnalyzeClasses(
    packages = "org.sparsityworkbench",
    importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule layers =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .layer("app")
          .definedBy("org.sparsityworkbench.app..")
          .layer("views")
          .definedBy("org.sparsityworkbench.views..")
          .layer("viewmodels")
          .definedBy("org.sparsityworkbench.viewmodels..")
          .layer("engine")
          .definedBy("org.sparsityworkbench.engine..")
          .whereLayer("app")
          .mayNotBeAccessedByAnyLayer()
          .whereLayer("views")
          .mayOnlyBeAccessedByLayers("app")
          .whereLayer("viewmodels")
          .mayOnlyBeAccessedByLayers("views", "app")
          .whereLayer("engine")
          .mayOnlyBeAccessedByLayers("viewmodels", "app")
          .because("dependencies point one way: app -> views -> viewmodels -> engine");

  @ArchTest
  static final ArchRule engineIsFreeOfJavaFx =
      noClasses()
          .that()
          .resideInAPackage("org.sparsityworkbench.engine..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("javafx..")
          .because("the engine runs headless (CLI, benchmarks, CI) and owns its own thread");

  @ArchTest
  static final ArchRule viewModelsUseOnlyBeansAndCollections =
      noClasses()
          .that()
          .resideInAPackage("org.sparsityworkbench.viewmodels..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "javafx.scene..", "javafx.stage..", "javafx.application..", "javafx.animation..")
          .because("view models hold state and commands, testable without a toolkit");

  @ArchTest
  static final ArchRule viewsTalkOnlyToViewModels =
      noClasses()
          .that()
          .resideInAPackage("org.sparsityworkbench.views..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.sparsityworkbench.engine..")
          .because("only the view model accesses model and logic classes (MVVM)");

  @ArchTest
  static final ArchRule nobodyPrintsStackTraces =
      noClasses()
          .should()
          .callMethod(Throwable.class, "printStackTrace")
          .because("errors are surfaced to the user or logged, not dumped");
}
