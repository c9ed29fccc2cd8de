package org.sparsityworkbench.engine.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A corpus to analyse: labelled domains, each a set of text files. From a folder, every subfolder
 * is a domain named after it (the bundled corpus: english, spanish, code, numbers); a folder with
 * no subfolders is one domain. README.md and shell scripts are left out, as in training.
 *
 * @param domains in order; names unique
 */
public record AnalysisCorpus(List<Domain> domains) {
  /**
   * Where a corpus comes from: a folder whose subfolders are the domains, or domain folders picked
   * one by one (then the corpus folder is not read).
   */
  public record Source(Path corpus, List<Path> domains) {
    public Source {
      domains = List.copyOf(domains);
      if (corpus == null && domains.isEmpty()) {
        throw new IllegalArgumentException("a corpus folder or at least one domain folder");
      }
    }

    /** A corpus folder: each subfolder a domain. */
    public static Source folder(Path corpus) {
      return new Source(corpus, List.of());
    }

    /** Reads the corpus: the picked domains, or the folder's. */
    public AnalysisCorpus read() throws IOException {
      return domains.isEmpty() ? of(corpus) : ofFolders(domains);
    }
  }

  /** A labelled set of files. */
  public record Domain(String name, List<Path> files) {
    public Domain {
      files = List.copyOf(files);
    }
  }

  public AnalysisCorpus {
    domains = List.copyOf(domains);
    if (domains.isEmpty()) {
      throw new IllegalArgumentException("a corpus needs at least one domain");
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    for (Domain d : domains) {
      if (!names.add(d.name())) {
        throw new IllegalArgumentException("two domains are named " + d.name());
      }
    }
  }

  /**
   * The domains of a folder: its subfolders, or the folder itself when it has none.
   *
   * @throws IOException naming the folder when it does not exist or holds no text
   */
  public static AnalysisCorpus of(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new IOException(folder + ": no such corpus folder");
    }
    List<Path> subfolders;
    try (Stream<Path> s = Files.list(folder)) {
      subfolders = s.filter(Files::isDirectory).sorted().toList();
    }
    List<Domain> domains = new ArrayList<>();
    if (subfolders.isEmpty()) {
      domains.add(domain(folder));
    } else {
      for (Path sub : subfolders) {
        Domain d = domain(sub);
        if (!d.files().isEmpty()) {
          domains.add(d);
        }
      }
    }
    if (domains.isEmpty() || domains.stream().allMatch(d -> d.files().isEmpty())) {
      throw new IOException(folder + ": the corpus folder holds no text files");
    }
    return new AnalysisCorpus(domains);
  }

  /**
   * Folders as domains, each named after its folder (a folder's subfolders are part of its domain).
   */
  public static AnalysisCorpus ofFolders(List<Path> folders) throws IOException {
    List<Domain> domains = new ArrayList<>();
    for (Path f : folders) {
      if (!Files.isDirectory(f)) {
        throw new IOException(f + ": no such domain folder");
      }
      Domain d = domain(f);
      if (d.files().isEmpty()) {
        throw new IOException(f + ": the domain folder holds no text files");
      }
      domains.add(d);
    }
    return new AnalysisCorpus(domains);
  }

  private static Domain domain(Path folder) throws IOException {
    List<Path> files = org.sparsityworkbench.engine.train.Corpus.textFiles(folder);
    Path name = folder.getFileName();
    return new Domain(name == null ? folder.toString() : name.toString(), files);
  }

  /** Domain names in order. */
  public List<String> names() {
    return domains.stream().map(Domain::name).toList();
  }
}
